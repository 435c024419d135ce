/**
 * Keeps a progress notification ahead of the response it belongs to. The SDK's Protocol runs notification
 * handlers one microtask late but settles responses at once, and it drops a request's progress handler when the
 * response settles. So when an upstream's last `notifications/progress` and its result arrive in the same read
 * (common under load), the progress is lost. This wrapper holds a response back to the next turn of the event loop
 * whenever a notification was delivered in the current one; order among all messages is kept.
 */
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

export function keepProgressOrder(transport: Transport): void {
  const inner = transport.onmessage;
  if (!inner) return;
  type Extra = Parameters<NonNullable<Transport['onmessage']>>[1];
  const held: [JSONRPCMessage, Extra][] = [];
  let notifiedThisTurn = false;
  let scheduled = false;

  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      notifiedThisTurn = false;
      const batch = held.splice(0);
      for (const [m, e] of batch) deliver(m, e);
    });
  };

  const deliver = (message: JSONRPCMessage, extra: Extra) => {
    const isResponse = !('method' in message);
    if (held.length > 0 || (isResponse && notifiedThisTurn)) {
      held.push([message, extra]);
      schedule();
      return;
    }
    if (!isResponse) {
      notifiedThisTurn = true;
      schedule();
    }
    inner.call(transport, message, extra);
  };

  transport.onmessage = deliver;
}
