// How long a test waits for something that must happen (a response, a publish, a child process)
// before it calls it a hang and fails. It is not a speed bound: no test asserts how long anything
// took (`npm run bench` measures speed and memory). Generous enough that a machine with every core
// busy never trips it, finite so that a real hang fails the run with a message instead of idling.
// One value for every test layer; TEST_HANG_GUARD_MS overrides it.

export const HANG_GUARD_MS = Number(process.env.TEST_HANG_GUARD_MS ?? 600_000);
