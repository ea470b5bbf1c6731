// The LIFT page: signs in with a bearer token and calls the API. No build step, no framework:
// one ES module per tab, wired together here.
import { $, download, hooks, scenarioPath, state, withDistrict } from "./core.js";
import * as agreements from "./agreements.js";
import * as caseload from "./caseload.js";
import "./jobs.js";
import * as proposals from "./proposals.js";
import * as rota from "./rota.js";
import { makeLive, pickScenario, refreshAll, signIn, signOut, upload } from "./session.js";
import * as staffing from "./staffing.js";

function showTab(name) {
  for (const tab of document.querySelectorAll("#tabs [role=tab]")) tab.setAttribute("aria-selected", String(tab.dataset.tab === name));
  for (const section of document.querySelectorAll(".tab")) section.hidden = section.id !== `tab-${name}`;
}

function start() {
  hooks.signedOut = signOut;
  $("#sign-in-form").addEventListener("submit", (event) => {
    event.preventDefault();
    signIn($("#token").value.trim());
  });
  $("#sign-out").addEventListener("click", signOut);
  $("#scenario").addEventListener("change", (event) => pickScenario(event.target.value));
  $("#scenario-live").addEventListener("click", makeLive);
  $("#district").addEventListener("change", refreshAll);
  $("#upload-form").addEventListener("submit", upload);
  for (const part of [rota, caseload, proposals, agreements, staffing]) part.init();
  for (const button of document.querySelectorAll("[data-download]")) {
    button.addEventListener("click", () => download(withDistrict(scenarioPath(button.dataset.download)), button.dataset.download.split("/").pop()));
  }
  for (const tab of document.querySelectorAll("#tabs [role=tab]")) tab.addEventListener("click", () => showTab(tab.dataset.tab));
  if (state.token) signIn(state.token);
}

// Modules run after the document is parsed, so the page is there already.
start();
