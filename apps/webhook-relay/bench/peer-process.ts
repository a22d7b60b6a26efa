// The benchmark's Kargo receiver, in a process of its own: verifying and parsing each forward inside the load
// generator would delay the timing of the relay's acknowledgements only (the bare server forwards nothing).
// Parent ↔ child over IPC: the child sends { url } once listening; { op: 'received', from } returns the forwards since.
import { KargoReceiverPeer } from '../test/peers/kargo-receiver.ts';

const [secret, images] = [process.argv[2] ?? '', (process.argv[3] ?? '').split(',').filter((i) => i !== '')];
const peer = new KargoReceiverPeer({ secret, warehouses: images.map((repoURL, i) => ({ namespace: 'acme', name: `service-${i}`, repoURL })) });
await peer.listen();
if (process.send === undefined) throw new Error('peer-process.ts runs only as a forked child');
process.send({ url: peer.url });
process.on('message', (message: { op: 'received'; from: number } | { op: 'close' }) => {
  if (message.op === 'received') {
    process.send?.({ received: peer.received.slice(message.from).map((r) => ({ deliveryId: r.deliveryId, at: r.at })), total: peer.received.length });
  } else {
    void peer.close().then(() => process.exit(0));
  }
});
process.on('disconnect', () => process.exit(0));
