// Text classification: pick the label (or labels) of a text. See choices.js for the DOM.
import { autoMount } from "./common.js";
import { mountChoices } from "./choices.js";

export const mount = mountChoices;
autoMount("text_classification", mountChoices);
