/*
 * casedesk open-case form: product → major version → patch lists narrow as you choose (B2).
 * Our own few lines, no third-party code. Without this script every list shows everything,
 * grouped, and the server still checks that the choices belong together.
 *
 * The form says which option belongs to which in a JSON data block (id "case-catalogue"):
 * {"major_version": {"<version id>": "<product id>"}, "patch": {"<patch id>": "<version id>"}}.
 * A list keeps its placeholder ("— choose —") and the options of the chosen parent; with no
 * parent chosen, those of every parent still listed. A choice that no longer fits is cleared.
 */
(function () {
  "use strict";

  var data = document.getElementById("case-catalogue");
  if (!data) {
    return;
  }
  var parents = JSON.parse(data.textContent);
  var form = data.closest("form") || document;
  var PAIRS = [
    ["product", "major_version"],
    ["major_version", "patch"],
  ];

  function select(name) {
    return form.querySelector('select[name="' + name + '"]');
  }

  // The child's full list, taken once: placeholders and groups of options.
  function snapshot(child) {
    return Array.prototype.map.call(child.children, function (node) {
      return node.cloneNode(true);
    });
  }

  // The parent values whose children may show: the chosen one, else every one listed.
  function allowedParents(parent) {
    var allowed = {};
    if (parent.value) {
      allowed[parent.value] = true;
      return allowed;
    }
    Array.prototype.forEach.call(parent.options, function (option) {
      if (option.value) {
        allowed[option.value] = true;
      }
    });
    return allowed;
  }

  function narrow(parent, child, full, owners) {
    var allowed = allowedParents(parent);
    var kept = child.value;
    var stillThere = false;
    var fragment = document.createDocumentFragment();
    function fits(option) {
      return !option.value || allowed[owners[option.value]] === true;
    }
    full.forEach(function (node) {
      if (node.tagName === "OPTGROUP") {
        var group = node.cloneNode(false);
        Array.prototype.forEach.call(node.children, function (option) {
          if (fits(option)) {
            group.appendChild(option.cloneNode(true));
          }
        });
        if (group.children.length) {
          fragment.appendChild(group);
        }
      } else if (fits(node)) {
        fragment.appendChild(node.cloneNode(true));
      }
    });
    child.replaceChildren(fragment);
    Array.prototype.forEach.call(child.options, function (option) {
      option.selected = option.value === kept;
      stillThere = stillThere || option.selected;
    });
    if (!stillThere) {
      child.value = "";
    }
    child.dispatchEvent(new Event("change", { bubbles: true }));
  }

  PAIRS.forEach(function (pair) {
    var parent = select(pair[0]);
    var child = select(pair[1]);
    var owners = parents[pair[1]];
    if (!parent || !child || !owners) {
      return;
    }
    var full = snapshot(child);
    parent.addEventListener("change", function () {
      narrow(parent, child, full, owners);
    });
  });
  // A form shown again (an error, a follow-on case) starts narrowed to what is chosen.
  PAIRS.forEach(function (pair) {
    var parent = select(pair[0]);
    if (parent && parent.value) {
      parent.dispatchEvent(new Event("change", { bubbles: true }));
    }
  });
})();
