// The LIFT page: signs in with a bearer token and calls the API. No build step, no framework:
// one ES module per tab, wired together here.
import { $, download, hooks, scenarioPath, state, withDistrict } from "./core.js";
import * as agreements from "./agreements.js";
import * as caseload from "./caseload.js";
import "./jobs.js";
import * as proposals from "./proposals.js";
import * as report from "./report.js";
import * as requests from "./requests.js";
import * as reviews from "./reviews.js";
import * as rota from "./rota.js";
import * as simulation from "./simulation.js";
import { makeLive, pickScenario, refreshAll, signIn, signOut, upload } from "./session.js";
import * as staffing from "./staffing.js";

const tabs = () => [...document.querySelectorAll("#tabs [role=tab]")].filter((t) => t.offsetParent !== null);

// Tabs as the ARIA pattern has them: the chosen one is in the Tab order, arrows move between them.
function showTab(name, focus = false) {
  for (const tab of document.querySelectorAll("#tabs [role=tab]")) {
    const chosen = tab.dataset.tab === name;
    tab.setAttribute("aria-selected", String(chosen));
    tab.tabIndex = chosen ? 0 : -1;
    if (chosen && focus) tab.focus();
  }
  for (const section of document.querySelectorAll(".tab")) section.hidden = section.id !== `tab-${name}`;
}

function moveBetweenTabs(event) {
  const shown = tabs();
  const at = shown.indexOf(event.target);
  const to = { ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: shown.length - 1 }[event.key];
  if (at < 0 || to === undefined) return;
  event.preventDefault();
  showTab(shown[(to + shown.length) % shown.length].dataset.tab, true);
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
  for (const part of [rota, requests, caseload, proposals, agreements, reviews, report, staffing, simulation]) part.init();
  for (const button of document.querySelectorAll("[data-download]")) {
    button.addEventListener("click", () => download(withDistrict(scenarioPath(button.dataset.download)), button.dataset.download.split("/").pop()));
  }
  for (const tab of document.querySelectorAll("#tabs [role=tab]")) tab.addEventListener("click", () => showTab(tab.dataset.tab));
  for (const section of document.querySelectorAll(".tab")) {
    section.setAttribute("role", "tabpanel");
    section.setAttribute("aria-labelledby", `tab-button-${section.id.slice(4)}`);
  }
  $("#tabs").addEventListener("keydown", moveBetweenTabs);
  showTab("rota");
  if (state.token) signIn(state.token);
}

// Modules run after the document is parsed, so the page is there already.
start();
