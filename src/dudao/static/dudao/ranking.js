/* The township's ranking page: order the villages by dragging (SortableJS, mouse and touch) or with the ↑/↓
   buttons. Each item carries a hidden input, so the form posts the codes in the order shown. */
(function () {
  "use strict";

  function items(list) {
    return Array.prototype.slice.call(list.querySelectorAll(":scope > li"));
  }

  function refresh(list) {
    items(list).forEach(function (li, index) {
      li.querySelector(".pos").textContent = String(index + 1);
      li.querySelector(".move.up").disabled = index === 0;
      li.querySelector(".move.down").disabled = index === items(list).length - 1;
    });
  }

  function changed(list, li) {
    refresh(list);
    var form = list.closest("form");
    if (form) {
      form.classList.add("changed");
    }
    var live = document.getElementById(list.dataset.live || "");
    if (live && li) {
      live.textContent = (list.dataset.moved || "%(name)s: %(position)s")
        .replace("%(name)s", li.dataset.name || "")
        .replace("%(position)s", String(items(list).indexOf(li) + 1));
    }
  }

  function move(list, li, step) {
    if (step < 0 && li.previousElementSibling) {
      list.insertBefore(li, li.previousElementSibling);
    } else if (step > 0 && li.nextElementSibling) {
      list.insertBefore(li.nextElementSibling, li);
    } else {
      return;
    }
    changed(list, li);
    var button = li.querySelector(step < 0 ? ".move.up" : ".move.down");
    (button.disabled ? li.querySelector(step < 0 ? ".move.down" : ".move.up") : button).focus();
  }

  function setUp(list) {
    list.addEventListener("click", function (event) {
      var button = event.target.closest("button.move");
      if (!button || !list.contains(button)) {
        return;
      }
      event.preventDefault();
      move(list, button.closest("li"), button.classList.contains("up") ? -1 : 1);
    });
    if (window.Sortable) {
      window.Sortable.create(list, {
        handle: ".handle",
        animation: 150,
        // Pointer events instead of the browser's drag and drop: the same on mouse and touch screens.
        forceFallback: true,
        fallbackTolerance: 3,
        ghostClass: "sortable-ghost",
        chosenClass: "sortable-chosen",
        onEnd: function (event) {
          changed(list, event.item);
        },
      });
      list.classList.add("sortable-ready");
    }
    refresh(list);
  }

  document.querySelectorAll("ol.order-list").forEach(setUp);
})();
