die "no answer\n";
