// The label configuration page: the tree editor bound to the form's JSON field.
import { ConfigEditor } from "./config-editor.js";

const root = document.getElementById("config-editor");
const csrf = document.querySelector("input[name=csrfmiddlewaretoken]").value;
new ConfigEditor(root, document.getElementById("id_configuration"), root.dataset.checkUrl, csrf);
