// Preloaded with `node -r`: reports the process's peak RSS on stderr when it exits.
process.on('exit', () => process.stderr.write(`\n@@maxrss ${process.resourceUsage().maxRSS}\n`));
