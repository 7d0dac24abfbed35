const x = undefined;
console.log(x.field);
