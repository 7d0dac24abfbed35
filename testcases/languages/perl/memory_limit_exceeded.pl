my @kept;
while (1) { push @kept, 'x' x 10_000_000; }
