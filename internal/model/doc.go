// Package model is the contract's data rules, executable in both profiles,
// with a generator of random requests and batches and the judging of a
// target's replies by the rules.
//
// The rules are CONTRACT §3 to §7; a step is a direct request or a batch.
//
// One model serves every check that compares a server with the rules: the
// mock's model test, the soak, and a generative mode of the suites. A user
// makes a Model for a profile, draws steps from a Gen, sends each step to
// the target and hands the reply to the Model:
//
//	m, _ := model.New(model.Config{Profile: spec.Doc, MaxBatch: 10, ClockTicks: true})
//	gen := model.NewGen(m, seed)
//	for range steps {
//		st := gen.Step()
//		status, body := send(st) // the user's HTTP
//		if st.Req != nil {
//			problems = m.JudgeDirect(st, status, body)
//		} else {
//			problems = m.JudgeBatch(st, status, body).Problems
//		}
//		problems = append(problems, m.CheckState(stored)...) // when the target shows its state
//	}
//
// The model applies each request as the step is judged: judge every step,
// in the order sent. A reply teaches the model what it could not know (a
// generated id, a time); CheckState teaches it ids that no reply showed.
// Whatever a target answers, what is wrong is a problem, a sentence naming
// the rule broken, never a panic.
//
// A Model or a Gen is not safe for concurrent use: give each client its own.
package model
