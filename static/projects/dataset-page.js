// The dataset page: drag-and-drop upload into the dataset.
import { DropUploader } from "./upload.js";

const csrf = document.querySelector("input[name=csrfmiddlewaretoken]").value;
new DropUploader(document.getElementById("drop-zone"), document.getElementById("file-input"), csrf);
