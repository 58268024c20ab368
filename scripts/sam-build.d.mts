export function dependenciesInstalled(dir?: string): boolean;
