// Drag-and-drop image upload: one request per file (so one bad file never fails the rest),
// two at a time, with a progress bar over the bytes sent and a result line per rejected file.

const PARALLEL = 2;

export class DropUploader {
  constructor(zone, input, csrfToken) {
    this.zone = zone;
    this.url = zone.dataset.uploadUrl;
    this.csrfToken = csrfToken;
    this.progress = zone.querySelector("#upload-progress");
    this.summary = zone.querySelector("#upload-summary");
    this.errors = zone.querySelector("#upload-errors");
    zone.addEventListener("dragover", (event) => { event.preventDefault(); zone.classList.add("over"); });
    zone.addEventListener("dragleave", () => zone.classList.remove("over"));
    zone.addEventListener("drop", (event) => {
      event.preventDefault();
      zone.classList.remove("over");
      this.upload([...event.dataTransfer.files]);
    });
    input.addEventListener("change", () => this.upload([...input.files]));
  }

  async upload(files) {
    if (!files.length) return;
    const total = files.reduce((sum, file) => sum + file.size, 0) || 1;
    const sent = new Map();
    let added = 0;
    this.errors.replaceChildren();
    this.progress.hidden = false;
    this.progress.value = 0;
    const report = () => {
      const bytes = [...sent.values()].reduce((a, b) => a + b, 0);
      this.progress.value = bytes / total;
      this.summary.textContent = `Uploading: ${added} of ${files.length} added…`;
    };
    const queue = [...files];
    const worker = async () => {
      while (queue.length) {
        const file = queue.shift();
        const result = await this.send(file, (loaded) => { sent.set(file, loaded); report(); });
        sent.set(file, file.size);
        if (result.ok) added += 1;
        else this.errors.append(Object.assign(document.createElement("li"), { textContent: result.error }));
        report();
      }
    };
    await Promise.all(Array.from({ length: PARALLEL }, worker));
    this.progress.value = 1;
    const rejected = files.length - added;
    this.summary.textContent = `Done: ${added} image(s) added${rejected ? `, ${rejected} rejected` : ""}.`;
    if (added) setTimeout(() => window.location.reload(), rejected ? 4000 : 800);
  }

  send(file, onProgress) {
    return new Promise((resolve) => {
      const request = new XMLHttpRequest();
      const body = new FormData();
      body.append("image", file, file.name);
      request.open("POST", this.url);
      request.setRequestHeader("X-CSRFToken", this.csrfToken);
      request.upload.addEventListener("progress", (event) => onProgress(event.loaded));
      request.addEventListener("load", () => {
        let data = {};
        try { data = JSON.parse(request.responseText); } catch { data = {}; }
        resolve(request.status < 300 ? { ok: true } : { ok: false, error: data.error || `${file.name}: upload failed (${request.status}).` });
      });
      request.addEventListener("error", () => resolve({ ok: false, error: `${file.name}: the connection failed.` }));
      request.send(body);
    });
  }
}
