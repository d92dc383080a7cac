// Configuration comes from the environment (lab 02). A setting this service cannot work without has no default in
// the code: a built-in address would make staging quietly call another environment, a built-in key would be a secret
// in the repository. Missing? Refuse to start, and say what is missing.
export function required(name: string): string {
  const value = process.env[name];
  if (!value) {
    console.error(`${name} is not set: this service needs it from its environment (services/compose.yaml, services/environments/<env>.env)`);
    process.exit(1);
  }
  return value;
}
