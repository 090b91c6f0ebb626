/** Whether a process with this id is running (EPERM: it runs, as another user). Leftovers named by pid use it. */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
