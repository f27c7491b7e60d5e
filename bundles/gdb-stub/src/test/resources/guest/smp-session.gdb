set pagination off
set confirm off
set width 0
set tcp connect-timeout 60
target remote 127.0.0.1:PORT
info threads
set scheduler-locking on
thread 3
info registers pc
stepi 4
info registers pc a0
thread 1
info registers pc a0
info threads
thread 4
print/x $mhartid
monitor info cpus
detach
