const a = ;
console.log(a);
