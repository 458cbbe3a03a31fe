/* The date pickers' calendar in the page's language.
 *
 * dcc.DatePickerRange/DatePickerSingle (Dash 4) format month and day names with date-fns, taking the locale from
 * window.dateFns.locale (keyed by language code) and, failing a match with the browser's languages, the first
 * one registered. The hub registers only the language of the page (<html lang>, set by the server), so the
 * calendar follows the hub's language switch, not the browser's. date-fns' own locale files are not shipped
 * with Dash and nothing may be loaded from a CDN: this is the French locale's formatting part (CLDR names),
 * written out here. English needs nothing: it is date-fns' default.
 */
(function () {
  "use strict";
  var lang = (document.documentElement.getAttribute("lang") || "en").split("-")[0];
  var NAMES = {
    fr: {
      months: {
        narrow: ["J", "F", "M", "A", "M", "J", "J", "A", "S", "O", "N", "D"],
        abbreviated: ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."],
        wide: ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
               "novembre", "décembre"]
      },
      days: {
        narrow: ["D", "L", "M", "M", "J", "V", "S"],
        short: ["di", "lu", "ma", "me", "je", "ve", "sa"],
        abbreviated: ["dim.", "lun.", "mar.", "mer.", "jeu.", "ven.", "sam."],
        wide: ["dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"]
      },
      dayPeriods: {am: "AM", pm: "PM"},
      eras: ["av. J.-C.", "ap. J.-C."],
      quarters: ["T1", "T2", "T3", "T4"],
      formats: {full: "EEEE d MMMM y", long: "d MMMM y", medium: "d MMM y", short: "dd/MM/y"},
      times: {full: "HH:mm:ss zzzz", long: "HH:mm:ss z", medium: "HH:mm:ss", short: "HH:mm"},
      weekStartsOn: 1,
      firstWeekContainsDate: 4
    }
  };
  var names = NAMES[lang];
  if (!names) { return; }

  function pick(table) {
    return function (index, options) {
      var width = (options && options.width) || "wide";
      var list = table[width] || table.wide;
      return list[index];
    };
  }
  function widthOf(table) {
    return function (options) { return table[(options && options.width) || "full"] || table.full; };
  }
  function noMatch() { return null; }  // parsing month or day names is never asked: the inputs are numeric

  var locale = {
    code: lang,
    localize: {
      ordinalNumber: function (n) { return Number(n) === 1 ? "1er" : String(n); },
      era: function (i) { return names.eras[i]; },
      quarter: function (q) { return names.quarters[q - 1]; },
      month: pick(names.months),
      day: pick(names.days),
      dayPeriod: function (p) { return names.dayPeriods[p] || p; }
    },
    formatLong: {
      date: widthOf(names.formats),
      time: widthOf(names.times),
      dateTime: function () { return "{{date}} {{time}}"; }
    },
    formatDistance: function (token, count) { return String(count); },
    formatRelative: function () { return "P"; },
    match: {ordinalNumber: noMatch, era: noMatch, quarter: noMatch, month: noMatch, day: noMatch, dayPeriod: noMatch},
    options: {weekStartsOn: names.weekStartsOn, firstWeekContainsDate: names.firstWeekContainsDate}
  };
  window.dateFns = window.dateFns || {};
  window.dateFns.locale = window.dateFns.locale || {};
  window.dateFns.locale[lang] = locale;
}());
