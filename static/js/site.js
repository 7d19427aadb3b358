// Progressive enhancement only: every page works without this file.
// Marks the page as scripted (for text that is only true with JavaScript), and keeps each field's error state
// (the red border, aria-invalid) in step with the messages htmx swaps in beside it.
document.documentElement.classList.add("js");

function syncFieldErrors() {
  document.querySelectorAll(".field-errors").forEach((box) => {
    const invalid = box.textContent.trim() !== "";
    const field = box.closest(".field");
    if (field) field.classList.toggle("has-error", invalid);
    document.querySelectorAll("[aria-describedby]").forEach((control) => {
      if (!control.getAttribute("aria-describedby").split(" ").includes(box.id)) return;
      if (invalid) control.setAttribute("aria-invalid", "true");
      else control.removeAttribute("aria-invalid");
    });
  });
}

document.addEventListener("htmx:afterSettle", syncFieldErrors);
