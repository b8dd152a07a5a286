/* The wakeup floor of a vhost-user backend on this machine (make bench-qemu): a "guest" process
 * kicks an eventfd and waits on another; the "backend" sleeps in epoll_wait, reads the kick and
 * writes the call, nothing else. Prints the backend's CPU microseconds per round trip: what any
 * backend that sleeps between requests pays here before it does any work (the kernel's share of
 * a wakeup; the Python loop of bench_qemu.py measures the same with the interpreter on top). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double cpu_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

/* wait until fd is readable, then take its count */
static void wait_and_read(int ep, int fd) {
    struct epoll_event ev;
    uint64_t v;
    if (epoll_wait(ep, &ev, 1, 5000) != 1 || read(fd, &v, 8) != 8) {
        perror("wakeup_floor: wait");
        exit(1);
    }
}

static int epoll_on(int fd) {
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
    int ep = epoll_create1(0);
    if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
        perror("wakeup_floor: epoll");
        exit(1);
    }
    return ep;
}

int main(int argc, char **argv) {
    int rounds = argc > 1 ? atoi(argv[1]) : 20000;
    int kick = eventfd(0, EFD_NONBLOCK), call = eventfd(0, EFD_NONBLOCK);
    const uint64_t one = 1;
    pid_t guest = fork();
    if (guest == 0) {
        int ep = epoll_on(call);
        for (int i = 0; i < rounds; i++) {
            if (write(kick, &one, 8) != 8) _exit(1);
            wait_and_read(ep, call);
        }
        _exit(0);
    }
    int ep = epoll_on(kick);
    double c0 = cpu_seconds();
    for (int i = 0; i < rounds; i++) {
        wait_and_read(ep, kick);
        if (write(call, &one, 8) != 8) return 1;
    }
    double c1 = cpu_seconds();
    int status;
    waitpid(guest, &status, 0);
    printf("%.2f\n", 1e6 * (c1 - c0) / rounds);
    return !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}
