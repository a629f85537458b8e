// Which exercise role a group member holds in a turn: the same rule as
// exercises.script.Step.role_of. The roles, then the extra role once per
// member beyond them, rotate one place a turn, so no role is ever held by two
// people at once (a pair exercise done as a trio gives the third an observer).

export function roleOf(step, position, size, turn) {
  const roles = (step && step.roles) || [];
  if (!roles.length || position == null || position < 0 || position >= size) return null;
  const cycle = [...roles];
  for (let i = roles.length; i < size; i++) cycle.push(step.extra_role);
  return cycle[(position + turn) % cycle.length] || null;
}
