#!/usr/bin/env bash
# Checks the built book (book/, from `mdbook build docs`): every relative link and image of every page
# points at a file that exists (chapter links were rewritten from .md to .html by mdBook;
# links into the sources, `../src/runtime.rs`, work because book/ sits next to src/), and the
# offline search index is there.
set -euo pipefail
cd "$(dirname "$0")/.."
BOOK=book
[ -f "$BOOK/index.html" ] || { echo "FAIL: $BOOK/index.html missing: run mdbook build docs"; exit 1; }
failures=0
checked=0
for page in "$BOOK"/*.html; do
    dir=$(dirname "$page")
    while IFS= read -r target; do
        target=${target%%#*}
        [ -z "$target" ] && continue
        checked=$((checked + 1))
        if [ ! -e "$dir/$target" ]; then
            echo "FAIL: $page links to $target, which does not exist"
            failures=$((failures + 1))
        fi
    done < <(grep -o -E '(href|src)="[^"]*"' "$page" | sed -E 's/^(href|src)="//; s/"$//' \
        | grep -v -E '^(https?:|mailto:|#|javascript:|data:)' | sort -u)
done
if [ "$(grep -rl '\.md"' "$BOOK"/*.html --include='[0-9]*.html' | wc -l)" -ne 0 ]; then
    echo "FAIL: a chapter still links to a .md file:"; grep -o 'href="[^"]*\.md[#"]' "$BOOK"/[0-9]*.html | head
    failures=$((failures + 1))
fi
if ! ls "$BOOK"/searchindex*.js >/dev/null 2>&1; then
    echo "FAIL: no search index in $BOOK (is [output.html.search] enabled?)"
    failures=$((failures + 1))
fi
# Every chapter file is in the table of contents (a chapter left out is not in the book).
for chapter in docs/*.md; do
    name=$(basename "$chapter")
    [ "$name" = SUMMARY.md ] && continue
    if ! grep -qF "]($name)" docs/SUMMARY.md; then
        echo "FAIL: docs/$name is not in docs/SUMMARY.md, so it is not in the book"
        failures=$((failures + 1))
    fi
done
if [ "$failures" -ne 0 ]; then
    echo "$failures problem(s) in the built book"
    exit 1
fi
echo "book: $checked relative links and images resolve; search index present"
