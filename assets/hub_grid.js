/* Functions the AG Grids call by name (dash-ag-grid evaluates {"function": "..."} against this namespace). */
window.dashAgGridFunctions = window.dashAgGridFunctions || {};

/* An ISO date (the value the grid sorts and filters on) shown the way the page's language writes dates:
   Apr 29, 1991 / 29 avr. 1991. The language is the server's, in <html lang>. */
window.dashAgGridFunctions.localDate = function (value) {
  if (!value) { return ""; }
  var parsed = new Date(String(value).slice(0, 10) + "T00:00:00");
  if (isNaN(parsed.getTime())) { return String(value); }
  return parsed.toLocaleDateString(document.documentElement.lang || "en",
                                   {year: "numeric", month: "short", day: "numeric"});
};

/* A number as the page's language writes it (1 449 / 42,4; money 1 234,56 with digits 2, 2): the grid still sorts
   on the number. Up to ``maxDigits`` decimals (1 unless told), at least ``minDigits`` (0 unless told). */
window.dashAgGridFunctions.localNumber = function (value, maxDigits, minDigits) {
  if (value === null || value === undefined || value === "") { return ""; }
  var number = Number(value);
  if (isNaN(number)) { return String(value); }
  var most = maxDigits === undefined ? 1 : maxDigits;
  return number.toLocaleString(document.documentElement.lang || "en",
                               {maximumFractionDigits: most, minimumFractionDigits: Math.min(minDigits || 0, most)});
};
