// The LIFT Executive's report, from the Reviews tab: a district's (or, for an officer with all
// districts chosen, the county's) report for a half-term or the year, as a PDF or a page.
import { $, api, district, download, scenarioPath } from "./core.js";

function reportPath(kind) {
  const query = new URLSearchParams();
  if (district()) query.set("district", district());
  if ($("#executive-half").value) query.set("half_term", $("#executive-half").value);
  const rest = query.toString();
  return scenarioPath(`reports/executive.${kind}${rest ? `?${rest}` : ""}`);
}

async function openPage() {
  $("#executive-error").textContent = "";
  try {
    const response = await api(reportPath("html"), { raw: true });
    const url = URL.createObjectURL(await response.blob());
    window.open(url, "_blank");
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  } catch (error) {
    $("#executive-error").textContent = error.message;
  }
}

export function init() {
  $("#executive-pdf").addEventListener("click", () => download(reportPath("pdf"), "executive.pdf"));
  $("#executive-html").addEventListener("click", openPage);
}
