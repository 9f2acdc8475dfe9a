// Bounding boxes: draw, move, resize and delete boxes on an image, a class per box; zoom.
//
// DOM (bounding_boxes.html):
//   root [data-annotator="bounding_boxes"] data-min-boxes, data-max-boxes, data-min-size,
//        data-image-width / data-image-height (the coordinate space; else the image's natural size)
//   input[name="_ann_class"][data-index]   class picker: class of the selected box and of new boxes
//   [data-role="image"]  the <img>;  [data-role="layer"]  the drawing surface over it
//   .ann-box[data-index] on the layer (aria-selected="true" when selected), corners .ann-handle[data-corner]
//   [data-role="box-list"] > li[data-index]: [data-action="select"], select[data-role="box-class"],
//        [data-action="delete"]
//   [data-action="zoom-in" | "zoom-out" | "zoom-fit"], [data-role="zoom"] shows the zoom level
// Answer: {"boxes": [[x, y, w, h, label], ...]} in image pixels, rounded to 0.01.

import { autoMount, connect, h } from "./common.js";

const ZOOMS = [1, 1.5, 2, 3, 4, 6, 8];
const round = (value) => Math.round(value * 100) / 100;
const clamp = (value, low, high) => Math.min(Math.max(value, low), high);

export function mount(root) {
  const $ = (role) => root.querySelector(`[data-role="${role}"]`);
  const image = $("image"), layer = $("layer"), stage = $("stage"), viewport = $("viewport");
  const list = $("box-list"), empty = $("no-boxes"), zoomLevel = $("zoom");
  const classInputs = [...root.querySelectorAll('input[name="_ann_class"]')];
  const labels = classInputs.map((input) => input.value);
  const minBoxes = Number(root.dataset.minBoxes || 0), maxBoxes = Number(root.dataset.maxBoxes || 100);
  const minSize = Number(root.dataset.minSize || 1);
  const declared = [Number(root.dataset.imageWidth), Number(root.dataset.imageHeight)];
  const boxes = [];
  let size = null, selected = -1, zoomIndex = 0, drag = null, broken = false;

  if (classInputs.length && !classInputs.some((input) => input.checked)) classInputs[0].checked = true;
  const currentLabel = () => (classInputs.find((input) => input.checked) || classInputs[0]).value;

  const collect = () => {
    const answer = { boxes: boxes.map(canonical) };
    let problem = null;
    if (!image || broken) problem = { message: "The image could not be loaded; return this HIT." };
    else if (!size) problem = { message: "The image is still loading." };
    else if (boxes.length < minBoxes) problem = { message: `Draw at least ${minBoxes} box${minBoxes === 1 ? "" : "es"}.` };
    else if (boxes.length > maxBoxes) problem = { message: `Draw at most ${maxBoxes} boxes.` };
    return { answer, problem };
  };

  const canonical = (box) => {
    const x = round(box.x), y = round(box.y);
    return [x, y, Math.min(round(box.w), round(size[0] - x)), Math.min(round(box.h), round(size[1] - y)), box.label];
  };

  // --- drawing the boxes and their list -------------------------------------------------------
  const place = (element, box) => {
    Object.assign(element.style, {
      left: `${(box.x / size[0]) * 100}%`, top: `${(box.y / size[1]) * 100}%`,
      width: `${(box.w / size[0]) * 100}%`, height: `${(box.h / size[1]) * 100}%`,
    });
  };
  const colour = (label) => `ann-color-${Math.max(labels.indexOf(label), 0) % 10}`;

  const render = () => {
    if (!layer || !size) return;
    layer.replaceChildren(...boxes.map((box, index) => {
      const element = h("div", { class: `ann-box ${colour(box.label)}`, dataset: { index },
        "aria-selected": String(index === selected) },
      h("span", { class: "ann-box-tag", text: `${index + 1} ${box.label}` }),
      ...["nw", "ne", "sw", "se"].map((corner) => h("span", { class: "ann-handle", dataset: { corner } })));
      place(element, box);
      return element;
    }));
    list.replaceChildren(...boxes.map(listItem));
    empty.hidden = boxes.length > 0;
    controller.update();
  };

  const listItem = (box, index) => {
    const picker = h("select", { "data-role": "box-class", "aria-label": `Class of box ${index + 1}` },
      ...labels.map((label) => h("option", { value: label, text: label, selected: label === box.label })));
    picker.addEventListener("change", () => { box.label = picker.value; render(); });
    const choose = h("button", { type: "button", class: "ann-button ann-grow", dataset: { action: "select" },
      text: `Box ${index + 1}: ${Math.round(box.w)} × ${Math.round(box.h)} `
        + `at (${Math.round(box.x)}, ${Math.round(box.y)})` });
    choose.addEventListener("click", () => select(index));
    const remove = h("button", { type: "button", class: "ann-button", dataset: { action: "delete" },
      "aria-label": `Delete box ${index + 1}`, text: "Delete" });
    remove.addEventListener("click", () => { select(index); deleteSelected(); });
    return h("li", { class: colour(box.label), dataset: { index }, "aria-current": String(index === selected) },
      choose, picker, remove);
  };

  const select = (index) => {
    selected = index;
    if (index >= 0) {
      const input = classInputs[labels.indexOf(boxes[index].label)];
      if (input) input.checked = true;
    }
    render();
  };

  const deleteSelected = () => {
    if (selected < 0) return;
    const inList = list.contains(document.activeElement);
    boxes.splice(selected, 1);
    selected = Math.min(selected, boxes.length - 1);
    render();
    // Deleting from the list keeps the keyboard in the list; otherwise the focus stays where it was.
    if (inList) list.querySelector(`li[data-index="${selected}"] [data-action="select"]`)?.focus();
  };

  // --- pointer: draw, move, resize ----------------------------------------------------------
  const toImage = (event) => {
    const rect = stage.getBoundingClientRect();
    return { x: clamp(((event.clientX - rect.left) / rect.width) * size[0], 0, size[0]),
      y: clamp(((event.clientY - rect.top) / rect.height) * size[1], 0, size[1]) };
  };

  const onPointerDown = (event) => {
    if (!size || event.button !== 0) return;
    event.preventDefault(); // no text selection or image drag; it also keeps the focus, so take it here
    layer.focus({ preventScroll: true });
    const point = toImage(event);
    const handle = event.target.closest(".ann-handle"), boxElement = event.target.closest(".ann-box");
    if (boxElement) {
      const index = Number(boxElement.dataset.index), box = boxes[index];
      select(index);
      if (handle) {
        const corner = handle.dataset.corner;
        const anchor = { x: corner.includes("w") ? box.x + box.w : box.x, y: corner.includes("n") ? box.y + box.h : box.y };
        drag = { mode: "resize", index, anchor };
      } else {
        drag = { mode: "move", index, start: point, origin: { ...box } };
      }
    } else {
      if (boxes.length >= maxBoxes) {
        controller.refuse(`At most ${maxBoxes} boxes.`);
        return;
      }
      boxes.push({ x: point.x, y: point.y, w: 0, h: 0, label: currentLabel() });
      selected = boxes.length - 1;
      drag = { mode: "draw", index: selected, anchor: point };
      render();
    }
    layer.setPointerCapture(event.pointerId);
  };

  const onPointerMove = (event) => {
    if (!drag) return;
    const point = toImage(event), box = boxes[drag.index];
    if (drag.mode === "move") {
      box.x = clamp(drag.origin.x + point.x - drag.start.x, 0, size[0] - box.w);
      box.y = clamp(drag.origin.y + point.y - drag.start.y, 0, size[1] - box.h);
    } else {
      Object.assign(box, { x: Math.min(drag.anchor.x, point.x), y: Math.min(drag.anchor.y, point.y),
        w: Math.abs(point.x - drag.anchor.x), h: Math.abs(point.y - drag.anchor.y) });
    }
    const element = layer.querySelector(`.ann-box[data-index="${drag.index}"]`);
    if (element) place(element, box);
  };

  const onPointerUp = () => {
    if (!drag) return;
    const box = boxes[drag.index];
    if (drag.mode !== "move" && (box.w < minSize || box.h < minSize)) {
      if (drag.mode === "draw") {
        boxes.splice(drag.index, 1);
        selected = -1;
      } else {
        box.w = Math.max(box.w, minSize);
        box.h = Math.max(box.h, minSize);
        box.x = Math.min(box.x, size[0] - box.w);
        box.y = Math.min(box.y, size[1] - box.h);
      }
    }
    drag = null;
    render();
  };

  // --- keyboard and zoom ----------------------------------------------------------------------
  const nudge = (event) => {
    const box = boxes[selected];
    const step = Math.max(1, Math.round(Math.max(...size) / 200));
    const dx = { ArrowLeft: -step, ArrowRight: step }[event.key] || 0;
    const dy = { ArrowUp: -step, ArrowDown: step }[event.key] || 0;
    if (event.shiftKey) {
      box.w = clamp(box.w + dx, minSize, size[0] - box.x);
      box.h = clamp(box.h + dy, minSize, size[1] - box.y);
    } else {
      box.x = clamp(box.x + dx, 0, size[0] - box.w);
      box.y = clamp(box.y + dy, 0, size[1] - box.h);
    }
    render();
  };

  const zoomTo = (index) => {
    if (!viewport || !size) return;
    const centre = [(viewport.scrollLeft + viewport.clientWidth / 2) / stage.offsetWidth,
      (viewport.scrollTop + viewport.clientHeight / 2) / stage.offsetHeight];
    zoomIndex = clamp(index, 0, ZOOMS.length - 1);
    const fit = Math.min(viewport.clientWidth, (window.innerHeight * 0.6 * size[0]) / size[1]);
    stage.style.width = `${Math.floor(fit * ZOOMS[zoomIndex])}px`;
    zoomLevel.textContent = `${Math.round(ZOOMS[zoomIndex] * 100)}%`;
    viewport.scrollLeft = centre[0] * stage.offsetWidth - viewport.clientWidth / 2;
    viewport.scrollTop = centre[1] * stage.offsetHeight - viewport.clientHeight / 2;
  };

  const onKey = (event, index) => {
    if (index >= 0 && index < labels.length) {
      classInputs[index].checked = true;
      if (selected >= 0) boxes[selected].label = labels[index];
      render();
      return true;
    }
    const key = event.key;
    if ((key === "n" || key === "p") && boxes.length) {
      const step = key === "n" ? 1 : -1;
      select(selected < 0 ? (step > 0 ? 0 : boxes.length - 1) : (selected + step + boxes.length) % boxes.length);
      return true;
    }
    if (key === "+" || key === "=") zoomTo(zoomIndex + 1);
    else if (key === "-") zoomTo(zoomIndex - 1);
    else if (key === "f") zoomTo(0);
    else if (selected < 0) return false;
    else if (key === "Delete" || key === "Backspace") deleteSelected();
    else if (key === "Escape") select(-1);
    else if (key.startsWith("Arrow")) nudge(event);
    else return false;
    return true;
  };

  const controller = connect(root, { collect, onKey });
  const { signal } = controller;
  for (const input of classInputs) {
    input.addEventListener("change", () => {
      if (selected >= 0) boxes[selected].label = input.value;
      render();
    }, { signal });
  }
  root.querySelector('[data-action="zoom-in"]').addEventListener("click", () => zoomTo(zoomIndex + 1), { signal });
  root.querySelector('[data-action="zoom-out"]').addEventListener("click", () => zoomTo(zoomIndex - 1), { signal });
  root.querySelector('[data-action="zoom-fit"]').addEventListener("click", () => zoomTo(0), { signal });
  if (layer) {
    layer.addEventListener("pointerdown", onPointerDown, { signal });
    layer.addEventListener("pointermove", onPointerMove, { signal });
    layer.addEventListener("pointerup", onPointerUp, { signal });
    layer.addEventListener("pointercancel", onPointerUp, { signal });
  }
  window.addEventListener("resize", () => zoomTo(zoomIndex), { signal });

  const ready = () => {
    const valid = declared.every((side) => Number.isFinite(side) && side > 0);
    size = valid ? declared : [image.naturalWidth, image.naturalHeight];
    zoomTo(0);
    render();
  };
  if (image) {
    if (image.complete && image.naturalWidth) ready();
    else {
      image.addEventListener("load", ready, { once: true, signal });
      image.addEventListener("error", () => { broken = true; controller.update(); }, { once: true, signal });
    }
  }
  return controller;
}

autoMount("bounding_boxes", mount);
