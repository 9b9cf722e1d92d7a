// static/labeling/saving.js against a real local HTTP server that answers as the labels API does
// (docs/labels-document.md): each save names the version it is based on; 409 stops saving until
// the labeler resolves the conflict; 400, and a 409 for a configuration that changed meanwhile,
// show the server's paths and are not retried.

import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer } from "node:http";
import { after, afterEach, before, test } from "node:test";

import { Classes, Labels } from "../../static/labeling/model.js";
import { Saver } from "../../static/labeling/saving.js";

const RULES = { geometryKinds: ["polygon"] };
const CONFIGURATION = { entries: [{ key: "car", name: "Car", kind: "polygon", color: "#ff0000", children: [] }] };
const car = (id) => ({ id, class: "car", source: "human", coordinates: [[0, 0], [4, 0], [4, 4]] });

// A broken Saver may wait for a request that never comes; the test then fails instead of hanging.
const BOUNDED = { timeout: 5000 };

let server;
let url;
let requests;
let answer; // (body) => [status, json] or a promise of it

before(async () => {
  server = createServer(async (request, response) => {
    let text = "";
    for await (const chunk of request) text += chunk;
    const body = JSON.parse(text);
    requests.push({ method: request.method, csrf: request.headers["x-csrftoken"], body });
    const [status, json] = await answer(body);
    response.writeHead(status, { "Content-Type": "application/json" });
    response.end(JSON.stringify(json));
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  url = `http://127.0.0.1:${server.address().port}/api/tasks/1/labels`;
});

// A Saver left dirty by a failed test would keep saving and retrying; stop each one, and drop any
// request the server still holds, so the run ends.
const savers = [];
afterEach(() => {
  for (const saver of savers.splice(0)) {
    saver.enabled = false;
    clearTimeout(saver.timer);
  }
});

after(() => {
  server.closeAllConnections();
  server.close();
});

function setUp(version) {
  requests = [];
  answer = (body) => [200, { version: body.version + 1 }];
  const model = new Labels(new Classes(CONFIGURATION, RULES));
  model.load({ geometries: [], classifications: {} });
  const statuses = [];
  const saver = new Saver(url, "token-1", model, (state, detail) => statuses.push([state, detail]));
  saver.version = version;
  saver.savedRevision = model.revision;
  savers.push(saver);
  return { model, saver, statuses };
}

test("a save sends the version it is based on and continues from the server's answer", BOUNDED, async () => {
  const { model, saver, statuses } = setUp(3);
  assert.equal(await saver.flush(), true); // nothing changed: nothing sent
  assert.equal(requests.length, 0);
  model.add(car("a"));
  assert.equal(saver.dirty, true);
  assert.equal(await saver.flush(), true);
  assert.deepEqual(requests, [{ method: "PUT", csrf: "token-1",
    body: { document: { geometries: [car("a")], classifications: {} }, version: 3 } }]);
  assert.equal(saver.version, 4);
  assert.equal(saver.dirty, false);
  assert.deepEqual(statuses.map(([state]) => state), ["saving", "saved"]);
  model.add(car("b"));
  await saver.flush();
  assert.equal(requests[1].body.version, 4);
  assert.equal(saver.version, 5);
});

test("an edit made while a save is under way stays unsaved and goes out on the next version", BOUNDED, async () => {
  const { model, saver, statuses } = setUp(0);
  let arrived;
  const arrival = new Promise((resolve) => { arrived = resolve; });
  let release;
  answer = (body) => new Promise((resolve) => {
    release = () => resolve([200, { version: body.version + 1 }]);
    arrived();
  });
  model.add(car("a"));
  const first = saver.flush();
  await arrival; // the server holds the first save while the labeler draws on
  model.add(car("b"));
  release();
  assert.equal(await first, false);
  assert.equal(saver.version, 1);
  assert.deepEqual(statuses.at(-1), ["unsaved", undefined]);
  answer = (body) => [200, { version: body.version + 1 }];
  assert.equal(await saver.flush(), true);
  assert.equal(requests[1].body.version, 1);
  assert.deepEqual(requests[1].body.document.geometries.map((g) => g.id), ["a", "b"]);
  assert.equal(saver.version, 2);
});

test("409: saving stops until the conflict is resolved, then continues from the server's version", BOUNDED, async () => {
  const { model, saver, statuses } = setUp(2);
  answer = () => [409, { detail: "Someone else changed this task.", code: "stale_version", version: 7 }];
  model.add(car("a"));
  assert.equal(await saver.flush(), false);
  assert.equal(statuses.at(-1)[0], "conflict");
  assert.equal(statuses.at(-1)[1].version, 7);
  assert.equal(saver.version, 2);
  model.add(car("b"));
  assert.equal(await saver.flush(), false);
  assert.equal(requests.length, 1); // nothing more is sent during a conflict

  answer = (body) => [200, { version: body.version + 1 }];
  saver.resolved(7);
  assert.equal(await saver.flush(), true);
  assert.equal(requests[1].body.version, 7);
  assert.equal(saver.version, 8);
});

test("400: the server's paths are shown and the same document is not sent again", BOUNDED, async () => {
  const { model, saver, statuses } = setUp(0);
  answer = () => [400, { detail: "The labels break the configuration.", code: "invalid",
    errors: [{ path: "geometries[0].coordinates", message: "needs at least 3 points" }] }];
  model.add(car("a"));
  assert.equal(await saver.flush(), false);
  assert.deepEqual(statuses.at(-1),
    ["error", "The labels break the configuration.\ngeometries[0].coordinates: needs at least 3 points"]);
  assert.equal(saver.failed, true);
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(requests.length, 1);
  assert.equal(saver.version, 0);
});

test("409 configuration_changed: the reasons are shown as an error, not the conflict dialog, and not sent again", BOUNDED, async () => {
  const { model, saver, statuses } = setUp(0);
  answer = () => [409, { detail: "The label configuration changed while you were saving.", code: "configuration_changed",
    errors: [{ path: "geometries[0].class", message: "`car` is not a geometry class here" }] }];
  model.add(car("a"));
  assert.equal(await saver.flush(), false);
  assert.deepEqual(statuses.at(-1),
    ["error", "The label configuration changed while you were saving.\ngeometries[0].class: `car` is not a geometry class here"]);
  assert.equal(saver.conflict, null);
  assert.equal(saver.failed, true);
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(requests.length, 1);
  assert.equal(saver.version, 0);
});
