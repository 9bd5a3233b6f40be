/* Processes: fork, a pipe between parent and child, execve of this program, wait
 * statuses (exit code and killed by a signal). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "child") == 0) {
        printf("exec'd child, pid differs from parent: %d\n", getpid() != atoi(argv[2]));
        return 42;
    }
    int fds[2];
    pipe(fds);
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        for (int i = 0; i < 2000; i++)
            dprintf(fds[1], "line %d from the child\n", i);
        _exit(7);
    }
    close(fds[1]);
    char buf[4096];
    long bytes = 0;
    ssize_t n;
    while ((n = read(fds[0], buf, sizeof buf)) > 0)
        bytes += n;
    int status;
    waitpid(pid, &status, 0);
    printf("read %ld bytes; child exited %d\n", bytes, WEXITSTATUS(status));

    char me[16];
    snprintf(me, sizeof me, "%d", getpid());
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        execl("/proc/self/exe", argv[0], "child", me, (char *)0);
        _exit(99);
    }
    waitpid(pid, &status, 0);
    printf("exec'd child exited %d\n", WEXITSTATUS(status));

    pid = fork();
    if (pid == 0) {
        pause();
        _exit(1);
    }
    kill(pid, SIGTERM);
    waitpid(pid, &status, 0);
    printf("killed child: signaled %d by %d\n", WIFSIGNALED(status), WTERMSIG(status));
    return 0;
}
