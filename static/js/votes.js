// Votes pages: the print button of the ballot sheets (inline handlers are forbidden by the CSP).
document.addEventListener("click", function (event) {
  if (event.target instanceof Element && event.target.closest("[data-print]")) {
    window.print();
  }
});
