/**
 * CURVE on real ZeroMQ sockets, shaped like Ferry's links: the frontend binds PUSH (requests),
 * SUB (replies) and PUB (events) as CURVE servers with the ZAP authenticator; handlers connect as
 * CURVE clients. A handler whose key is allowed works; one whose key is not gets no request, no
 * event, and cannot inject a reply; a plain (NULL) peer gets nothing either.
 */
import { afterEach, describe, expect, it } from "vitest";
import * as zmq from "zeromq";
import { generateKeyPair, type CurveKeyPair } from "../../protocol/curve-keys.js";
import { ZAP_ENDPOINT, ZapAuthenticator, type ZapDecision } from "../../frontend/zap.js";

const opened: zmq.Socket[] = [];
function track<T extends zmq.Socket>(socket: T): T {
  socket.linger = 0;
  opened.push(socket);
  return socket;
}
afterEach(() => {
  for (const socket of opened.splice(0)) socket.close();
});

interface Frontend {
  push: zmq.Push;
  sub: zmq.Subscriber;
  pub: zmq.Publisher;
  endpoints: { requests: string; replies: string; events: string };
  decisions: ZapDecision[];
  /** Resolves on the next ZAP decision about `publicKey`. */
  decided(publicKey: string): Promise<ZapDecision>;
}

async function startFrontend(keys: CurveKeyPair, allow: string[]): Promise<Frontend> {
  const context = new zmq.Context();
  // A fresh options object per socket: zeromq.js consumes `context` from the object it is given.
  const server = () => ({ context, curveServer: true, curveSecretKey: keys.secretKey });
  const zap = track(new zmq.Router({ context }));
  await zap.bind(ZAP_ENDPOINT);
  const auth = new ZapAuthenticator(new Set(allow));
  const decisions: ZapDecision[] = [];
  auth.on("allowed", (d) => decisions.push(d)).on("denied", (d) => decisions.push(d));
  void auth.serve(zap);
  const push = track(new zmq.Push(server()));
  const sub = track(new zmq.Subscriber(server()));
  const pub = track(new zmq.Publisher(server()));
  for (const socket of [push, sub, pub]) {
    expect(socket.context).toBe(context);
    await socket.bind("tcp://127.0.0.1:*");
  }
  sub.subscribe("fe-1");
  const decided = (publicKey: string) =>
    new Promise<ZapDecision>((resolve) => {
      const check = (d: ZapDecision) => {
        if (d.publicKey !== publicKey) return;
        auth.off("allowed", check).off("denied", check);
        resolve(d);
      };
      auth.on("allowed", check).on("denied", check);
    });
  return {
    push,
    sub,
    pub,
    decisions,
    decided,
    endpoints: {
      requests: push.lastEndpoint!,
      replies: sub.lastEndpoint!,
      events: pub.lastEndpoint!,
    },
  };
}

function clientOptions(keys: CurveKeyPair | undefined, serverKey: string) {
  return keys === undefined
    ? {}
    : { curveServerKey: serverKey, curvePublicKey: keys.publicKey, curveSecretKey: keys.secretKey };
}

/** Receives within `ms`, or undefined when nothing came (the socket's receive timeout). */
async function receiveWithin(
  socket: zmq.Pull | zmq.Subscriber,
  ms: number,
): Promise<Buffer[] | undefined> {
  socket.receiveTimeout = ms;
  try {
    return await socket.receive();
  } catch (err) {
    if ((err as { code?: string }).code === "EAGAIN") return undefined;
    throw err;
  }
}

describe("CURVE links with a ZAP allow-list", () => {
  const frontendKeys = generateKeyPair();
  const known = generateKeyPair();
  const unknown = generateKeyPair();

  it("sends requests only to the handler whose key is allowed", async () => {
    const fe = await startFrontend(frontendKeys, [known.publicKey]);
    const good = track(new zmq.Pull(clientOptions(known, frontendKeys.publicKey)));
    const bad = track(new zmq.Pull(clientOptions(unknown, frontendKeys.publicKey)));
    const plain = track(new zmq.Pull());
    const goodDecision = fe.decided(known.publicKey);
    const badDecision = fe.decided(unknown.publicKey);
    good.connect(fe.endpoints.requests);
    bad.connect(fe.endpoints.requests);
    plain.connect(fe.endpoints.requests);
    expect((await goodDecision).allowed).toBe(true);
    expect(await badDecision).toMatchObject({
      allowed: false,
      address: "127.0.0.1",
      mechanism: "CURVE",
    });

    for (let i = 0; i < 20; i++) await fe.push.send(`request ${i}`);
    const received: string[] = [];
    for (let i = 0; i < 20; i++) received.push((await good.receive())[0]!.toString());
    expect(received).toEqual(Array.from({ length: 20 }, (_, i) => `request ${i}`));
    expect(await receiveWithin(bad, 200)).toBeUndefined();
    expect(await receiveWithin(plain, 50)).toBeUndefined();
  });

  it("takes replies only from the handler whose key is allowed", async () => {
    const fe = await startFrontend(frontendKeys, [known.publicKey]);
    const good = track(new zmq.Publisher(clientOptions(known, frontendKeys.publicKey)));
    const bad = track(new zmq.Publisher(clientOptions(unknown, frontendKeys.publicKey)));
    const badDecision = fe.decided(unknown.publicKey);
    good.connect(fe.endpoints.replies);
    bad.connect(fe.endpoints.replies);
    expect((await badDecision).allowed).toBe(false);

    // Slow joiner: the subscription reaches a publisher some time after the handshake, so both
    // publishers keep sending (a bounded number of rounds) until the known one gets through.
    const got: string[] = [];
    for (
      let round = 0;
      round < 500 && got.filter((m) => m.startsWith("good")).length < 5;
      round++
    ) {
      await bad.send(["fe-1", `bad ${round}`]);
      await good.send(["fe-1", `good ${round}`]);
      const message = await receiveWithin(fe.sub, 10);
      if (message) got.push(message[1]!.toString());
    }
    for (
      let message = await receiveWithin(fe.sub, 50);
      message;
      message = await receiveWithin(fe.sub, 50)
    ) {
      got.push(message[1]!.toString());
    }
    expect(got.filter((m) => m.startsWith("good")).length).toBeGreaterThanOrEqual(5);
    expect(got.filter((m) => m.startsWith("bad"))).toEqual([]);
  });

  it("publishes events only to the handler whose key is allowed", async () => {
    const fe = await startFrontend(frontendKeys, [known.publicKey]);
    const good = track(new zmq.Subscriber(clientOptions(known, frontendKeys.publicKey)));
    const bad = track(new zmq.Subscriber(clientOptions(unknown, frontendKeys.publicKey)));
    for (const socket of [good, bad]) {
      socket.subscribe("*");
      socket.connect(fe.endpoints.events);
    }
    let first: Buffer[] | undefined;
    for (let round = 0; round < 500 && first === undefined; round++) {
      await fe.pub.send(["*", `event ${round}`]);
      first = await receiveWithin(good, 10);
    }
    expect(first?.[0]?.toString()).toBe("*");
    expect(await receiveWithin(bad, 100)).toBeUndefined();
    expect(fe.decisions.some((d) => d.publicKey === unknown.publicKey && !d.allowed)).toBe(true);
  });

  it("admits a handler whose key is among several allowed keys, with a wrong server key failing", async () => {
    const other = generateKeyPair();
    const fe = await startFrontend(frontendKeys, [other.publicKey, known.publicKey]);
    const good = track(new zmq.Pull(clientOptions(known, frontendKeys.publicKey)));
    // The right client key but the wrong frontend key: the handshake cannot complete.
    const wrongServer = track(new zmq.Pull(clientOptions(other, generateKeyPair().publicKey)));
    good.connect(fe.endpoints.requests);
    wrongServer.connect(fe.endpoints.requests);
    await fe.push.send("one");
    await fe.push.send("two");
    expect((await good.receive())[0]!.toString()).toBe("one");
    expect((await good.receive())[0]!.toString()).toBe("two");
    expect(await receiveWithin(wrongServer, 100)).toBeUndefined();
  });
});
