set pagination off
set confirm off
set width 0
set tcp connect-timeout 60
target remote 127.0.0.1:PORT
info registers pc
break cube_plus
continue
continue
print $a0
print/x $pc
stepi
print/x $pc
x/2i $pc
delete
break halve_and_add
continue
print $fa0
print/x $mstatus
info registers priv
delete
hbreak main
info breakpoints
delete
watch tally if tally == 5
continue
print tally
info registers a0 sp
set var tally = 1000
print tally
x/4xw &tally
monitor info status
detach
