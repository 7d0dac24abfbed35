my $a = ;
print $a;
