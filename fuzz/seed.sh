#!/bin/sh
# Seeds fuzz/corpus/TARGET/ from the project's test corpus, shipped rules and data fixtures.
# Run from anywhere; the corpus folders are not committed (fuzz/.gitignore).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
corpus="$here/corpus"
mkdir -p "$corpus/check" "$corpus/fmt" "$corpus/csv" "$corpus/xlsx" "$corpus/expr" "$corpus/uncertainty"

# check, fmt: every rules file, named after its path so that seeds never collide.
find "$root/tests/corpus" "$root/tests/fmt" "$root/rules" -name '*.qi' | while read -r f; do
    name=$(echo "${f#"$root"/}" | tr '/' '_')
    cp "$f" "$corpus/check/$name"
    cp "$f" "$corpus/fmt/$name"
done

# csv: each data file behind the byte that chooses the loader's options (0: detected
# delimiter and encoding, strict).
find "$root/tests/fixtures/data" "$root/tests/corpus/data_err" -name '*.csv' -o -name '*.tsv' |
    while read -r f; do
        name=$(basename "$f")
        { printf '\000'; cat "$f"; } > "$corpus/csv/$name"
        { printf '\020'; cat "$f"; } > "$corpus/csv/lenient_$name"
    done

# xlsx: the small workbooks of the data fixtures.
cp "$root"/tests/fixtures/data/book.* "$corpus/xlsx/"

# expr: the formula of every `indicator ID = FORMULA` and `let ID = FORMULA` line.
n=0
grep -h -o -E '^\s*(indicator [A-Za-z_0-9]+( "[^"]*")? =|let [A-Za-z_0-9]+ =) .*' \
    "$root"/tests/corpus/ok/*.qi "$root"/rules/*.qi |
    sed -E 's/^\s*(indicator [A-Za-z_0-9]+( "[^"]*")?|let [A-Za-z_0-9]+) = //; s/ \{$//' |
    sort -u | while IFS= read -r formula; do
        n=$((n + 1))
        printf '%s' "$formula" > "$corpus/expr/formula_$n"
    done
printf 'x / (y + 1) * 100' > "$corpus/expr/ratio"
printf 'if x > 2 then lag(x) else growth(y)' > "$corpus/expr/periods"

# uncertainty: the body of every `uncertainty { ... }` block.
for f in $(grep -l -E '^uncertainty' "$root"/tests/corpus/*/*.qi "$root"/rules/*.qi); do
    name=$(echo "${f#"$root"/}" | tr '/' '_')
    awk '/^uncertainty/ { inside = 1; next } inside && /^}/ { inside = 0 } inside' "$f" \
        > "$corpus/uncertainty/$name"
done
printf 'samples 10\nvary weights 20%%\nchoose scheme [default, heavy, plain]\ndrop indicator in a\n' \
    > "$corpus/uncertainty/fixed_rules"

for t in check fmt csv xlsx expr uncertainty; do
    echo "$t: $(ls "$corpus/$t" | wc -l) seeds"
done
