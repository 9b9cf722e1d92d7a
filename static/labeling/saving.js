// Saving the labels document: debounced autosave after each change, an immediate flush before any
// navigation, and version checks. The server refuses a save based on an old version with 409;
// then saving stops and the workspace asks the labeler what to do, so nobody's work is
// overwritten silently.

const AUTOSAVE_DELAY = 800;
const RETRY_DELAY = 5000;

export class Saver {
  constructor(url, csrfToken, model, onStatus) {
    this.url = url;
    this.csrfToken = csrfToken;
    this.model = model;
    this.onStatus = onStatus; // (state, detail): saved | unsaved | saving | error | conflict
    this.version = 0;
    this.savedRevision = model.revision;
    this.timer = 0;
    this.running = null;
    this.conflict = null;
    this.enabled = true;
  }

  get dirty() {
    return this.model.revision !== this.savedRevision;
  }

  changed() {
    if (!this.enabled) return;
    if (!this.conflict) this.onStatus("unsaved");
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.save(), AUTOSAVE_DELAY);
  }

  // Save now if anything changed; resolves true when everything is saved.
  async flush() {
    clearTimeout(this.timer);
    if (this.running) await this.running;
    if (this.dirty && !this.conflict) await this.save();
    return !this.dirty;
  }

  save() {
    if (this.running || this.conflict || !this.dirty || !this.enabled) return this.running;
    this.running = this.put().finally(() => {
      this.running = null;
      if (this.dirty && !this.conflict && !this.failed) this.changed();
    });
    return this.running;
  }

  async put() {
    const revision = this.model.revision;
    const body = JSON.stringify({ document: this.model.doc, version: this.version });
    this.onStatus("saving");
    this.failed = false;
    let response;
    try {
      response = await fetch(this.url, {
        method: "PUT",
        headers: { "Content-Type": "application/json", "X-CSRFToken": this.csrfToken },
        credentials: "same-origin",
        body,
      });
    } catch {
      this.retry("The server cannot be reached; retrying…");
      return;
    }
    const answer = await response.json().catch(() => ({}));
    if (response.ok) {
      this.version = answer.version;
      this.savedRevision = revision;
      this.onStatus(this.dirty ? "unsaved" : "saved");
    } else if (response.status === 409 && answer.code === "stale_version") {
      this.conflict = answer;
      this.onStatus("conflict", answer);
    } else if (response.status === 400 || response.status === 409) {
      // Refused for good (a 409 configuration_changed too): saving again would only be refused again.
      this.failed = true;
      const errors = (answer.errors || []).map((e) => (e.path ? `${e.path}: ${e.message}` : e.message));
      this.onStatus("error", `${answer.detail || "The labels were refused."}\n${errors.join("\n")}`);
    } else {
      this.retry(answer.detail || `Saving failed (HTTP ${response.status}); retrying…`);
    }
  }

  retry(message) {
    this.failed = true;
    this.onStatus("error", message);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => { this.failed = false; this.save(); }, RETRY_DELAY);
  }

  // After the labeler chose how to resolve a conflict: continue from the server's version.
  resolved(version) {
    this.conflict = null;
    this.version = version;
  }

  // Best effort when the page goes away: a keepalive request survives the unload.
  beacon() {
    if (!this.dirty || this.conflict || !this.enabled) return;
    const body = JSON.stringify({ document: this.model.doc, version: this.version });
    if (body.length > 60000) return; // keepalive bodies are capped at 64 KiB
    fetch(this.url, {
      method: "PUT", keepalive: true, credentials: "same-origin", body,
      headers: { "Content-Type": "application/json", "X-CSRFToken": this.csrfToken },
    }).catch(() => {});
  }
}
