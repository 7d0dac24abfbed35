const kept = [];
for (;;) { kept.push(new Array(1 << 20).fill(kept.length)); }
