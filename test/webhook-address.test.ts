// Webhook requests connect only to the address that was checked: the check happens in the
// connection's own DNS lookup, so a name that resolves to a public address when the URL is
// registered and to a private one when the request connects (DNS rebinding) is refused.
import { test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { publicOnlyLookup } from "../src/events/webhooks";

test("a request through publicOnlyLookup to a name that resolves to loopback never connects", async () => {
  let received = 0;
  const receiver = http.createServer((_req, res) => {
    received += 1;
    res.end();
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  const { port } = receiver.address() as AddressInfo;
  try {
    const error = await new Promise<NodeJS.ErrnoException>((resolve, reject) => {
      const req = http.request(`http://localhost:${port}/hook`, { method: "POST", lookup: publicOnlyLookup as never }, () => reject(new Error("connected")));
      req.on("error", resolve);
      req.end("{}");
    });
    assert.equal(error.code, "EPRIVATE");
    assert.match(error.message, /private or loopback/);
    assert.equal(received, 0);
    // The same request without the lookup reaches the receiver: the refusal above is the lookup's.
    await new Promise<void>((resolve, reject) => {
      const req = http.request(`http://localhost:${port}/hook`, { method: "POST" }, (res) => {
        res.resume();
        res.on("end", resolve);
      });
      req.on("error", reject);
      req.end("{}");
    });
    assert.equal(received, 1);
  } finally {
    receiver.close();
  }
});

test("publicOnlyLookup answers a single address or all of them, as node's lookup does", async () => {
  const refused = await new Promise<NodeJS.ErrnoException | null>((resolve) => publicOnlyLookup("127.0.0.1", {}, (error) => resolve(error)));
  assert.equal(refused?.code, "EPRIVATE");
  const missing = await new Promise<NodeJS.ErrnoException | null>((resolve) => publicOnlyLookup("no-such-host.invalid", {}, (error) => resolve(error)));
  assert.ok(missing && missing.code !== "EPRIVATE");
});
