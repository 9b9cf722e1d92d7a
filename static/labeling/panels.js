// The side panels: the class list (colours, shortcuts, hide/show, nested classes of the selected
// shape) and the question forms for the selected shape and for the whole image. All user-given
// text (class names, option names, answers) goes in through textContent or form values, never
// as HTML.

import { getAnswer, setAnswer } from "./model.js";

const KIND_NAMES = {
  point: "point", line: "line", polygon: "polygon", rectangle: "box", image_segmentation: "segment",
};

function el(tag, attributes = {}, text = null) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attributes)) {
    if (k === "className") node.className = v;
    else node.setAttribute(k, v);
  }
  if (text !== null) node.textContent = text;
  return node;
}

// One class list row: a button that picks the class for drawing, and an eye toggle.
export function classRow(entry, classId, { active, hidden, onPick, onToggle, readOnly }) {
  const li = el("li", { className: hidden ? "hidden-class" : "" });
  li.dataset.class = classId;
  const pick = el("button", { type: "button", className: `class-button${active ? " active" : ""}` });
  const swatch = el("span", { className: "swatch" });
  swatch.style.background = entry.color;
  pick.append(swatch, el("span", { className: "name" }, entry.name), el("span", { className: "kind" }, KIND_NAMES[entry.kind]));
  if (entry.shortcut) pick.append(el("kbd", {}, entry.shortcut));
  pick.title = readOnly ? entry.name : `Draw ${entry.name}${entry.shortcut ? ` (key ${entry.shortcut})` : ""}`;
  pick.disabled = readOnly;
  pick.addEventListener("click", onPick);
  const eye = el("button", { type: "button", className: "eye", title: hidden ? "Show" : "Hide" }, hidden ? "show" : "hide");
  eye.setAttribute("aria-pressed", String(hidden));
  eye.addEventListener("click", onToggle);
  li.append(pick, eye);
  return li;
}

// How an option question is shown, by the page's rules (the DataGym rule of
// formats/datagym.py): up to rules.radioMaxOptions options as radio buttons, more as a dropdown.
export function optionControl(entry, rules) {
  return entry.options.length <= rules.radioMaxOptions ? "radio" : "select";
}

// The longest answer a freetext question takes; a configuration without max_length gets the
// server's default (rules/configuration.py).
export function freetextMaxLength(entry, rules) {
  return entry.max_length ?? rules.freetextDefaultLength;
}

// Render `questions` answering into `answers` (a classifications object); `onAnswer(path, values,
// coalesceKey)` is called on every change. Nested questions appear inside their parent's box.
// `rules` are the page's label rules (labeling/views/workspace.py).
export function questionForm(container, questions, answers, { onAnswer, readOnly, idPrefix, rules }) {
  container.replaceChildren();
  for (const q of questions) container.append(question(q, [q.key], answers, { onAnswer, readOnly, idPrefix, rules }));
}

function question(entry, path, answers, options) {
  const { onAnswer, readOnly, idPrefix, rules } = options;
  const name = `${idPrefix}-${path.join("-")}`;
  const box = el("fieldset", { className: "question" });
  box.dataset.key = path.join(".");
  const legend = el("legend", {}, entry.name);
  if (entry.required) legend.append(el("span", { className: "required", title: "Required" }, "*"));
  box.append(legend);
  const values = getAnswer(answers, path);
  if (entry.kind === "option" && optionControl(entry, rules) === "radio") {
    for (const option of entry.options) {
      const input = el("input", { type: "radio", name, value: option.key });
      input.checked = values.includes(option.key);
      input.disabled = readOnly;
      // Clicking the chosen option again clears the answer, as a dropdown's empty choice does.
      input.addEventListener("click", () => {
        const chosen = getAnswer(answers, path).includes(option.key);
        if (chosen) input.checked = false;
        onAnswer(path, chosen ? [] : [option.key]);
      });
      box.append(labelled(input, option.name));
    }
  } else if (entry.kind === "option") {
    const select = el("select", { name });
    select.append(el("option", { value: "" }, "—"));
    for (const option of entry.options) {
      const item = el("option", { value: option.key }, option.name);
      item.selected = values.includes(option.key);
      select.append(item);
    }
    select.disabled = readOnly;
    select.addEventListener("change", () => onAnswer(path, select.value ? [select.value] : []));
    box.append(select);
  } else if (entry.kind === "checklist") {
    for (const option of entry.options) {
      const input = el("input", { type: "checkbox", name, value: option.key });
      input.checked = values.includes(option.key);
      input.disabled = readOnly;
      input.addEventListener("change", () => {
        const chosen = new Set(getAnswer(answers, path));
        if (input.checked) chosen.add(option.key);
        else chosen.delete(option.key);
        onAnswer(path, entry.options.map((o) => o.key).filter((k) => chosen.has(k)));
      });
      box.append(labelled(input, option.name));
    }
  } else {
    const text = el("textarea", { name, rows: "2", maxlength: String(freetextMaxLength(entry, rules)) });
    text.value = values[0] || "";
    text.readOnly = readOnly;
    text.addEventListener("input", () => onAnswer(path, text.value ? [text.value] : [], `text:${name}`));
    box.append(text);
  }
  for (const child of entry.children || []) box.append(question(child, [...path, child.key], answers, options));
  return box;
}

function labelled(input, text) {
  const label = el("label");
  label.append(input, el("span", {}, text));
  return label;
}

export function shapeTitle(entry, index, parentEntry) {
  const title = el("div", { className: "shape-title" });
  const swatch = el("span", { className: "swatch" });
  swatch.style.background = entry.color;
  swatch.style.cssText += ";width:12px;height:12px;border-radius:3px;display:inline-block";
  title.append(swatch, el("span", {}, parentEntry ? `${entry.name} in ${parentEntry.name}` : `${entry.name} #${index}`));
  return title;
}

export { el };
