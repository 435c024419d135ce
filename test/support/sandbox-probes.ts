/**
 * Node one-liners run inside a sandbox by the sandbox's unit tests (src/sandbox/*.test.ts). They answer by their exit
 * code, so the tests read no output a sandbox could mix with bubblewrap's own.
 */

/** Exits 0 when a TCP connection to 127.0.0.1:port opens, 3 when it fails. */
export function connectProbe(port: number): string {
  return `require('net').connect(${port},'127.0.0.1').on('connect',()=>process.exit(0)).on('error',()=>process.exit(3))`;
}

/** Starts up to 200 sleeping children and exits with how many it got (a fork bomb that a limit must stop). */
export const FORK_BOMB = `const cp=require('child_process');let ok=0;for(let i=0;i<200;i++){try{const c=cp.spawn('sleep',['5']);c.on('error',()=>{});if(c.pid)ok++}catch{}}process.exit(ok)`;
