/* global setInterval */
// Preloaded (`node --require`) into every process a drill or benchmark starts: when the process
// that started it dies (even by SIGKILL, when no exit handler runs), the orphan exits too, so a
// crashed drill never leaves tixing instances or baselines running.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) process.exit(70);
}, 500).unref();
