// Image classification: pick the label (or labels) of an image. See choices.js for the DOM.
import { autoMount } from "./common.js";
import { mountChoices } from "./choices.js";

export const mount = mountChoices;
autoMount("image_classification", mountChoices);
