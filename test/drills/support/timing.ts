export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `condition` every 100 ms; throws `<message> within <seconds> s` when time is up. */
export async function waitFor(condition: () => Promise<boolean>, seconds: number, message: string): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    if (await condition()) return;
    await sleep(100);
  }
  throw new Error(`${message} within ${seconds} s`);
}
