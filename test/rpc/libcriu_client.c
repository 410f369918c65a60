/*
 * CRIU's C client library (Debian's libcriu, as crun uses it) driving amber through
 * criu_set_service_binary: VERSION (criu_get_version), CHECK, a DUMP with a notify callback,
 * and a restore as a child of this process (criu_restore_child: rst_sibling). Usage:
 * libcriu_client AMBER PID IMAGES_DIR. Prints one "key value" line per result.
 *
 * libcriu's header needs protobuf-c's headers, which the machine may lack: the few functions used
 * are declared here, as libcriu exports them (criu_notify_arg_t is a pointer to the notify message).
 */
#include <fcntl.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

typedef void *criu_notify_arg_t;
int criu_init_opts(void);
int criu_set_service_binary(const char *path);
void criu_set_images_dir_fd(int fd);
void criu_set_log_level(int log_level);
int criu_set_log_file(const char *log_file);
void criu_set_notify_cb(int (*cb)(char *action, criu_notify_arg_t na));
int criu_notify_pid(criu_notify_arg_t na);
void criu_set_pid(int pid);
int criu_get_version(void);
int criu_check(void);
int criu_dump(void);
int criu_restore_child(void);

static char actions[512];
static int notified_pid;

static int on_notify(char *action, criu_notify_arg_t na) {
  if (strlen(actions) + strlen(action) + 2 < sizeof actions) {
    if (actions[0]) strcat(actions, ",");
    strcat(actions, action);
  }
  notified_pid = criu_notify_pid(na);
  return 0;
}

static void setup(const char *amber, const char *dir, const char *log) {
  if (criu_init_opts() < 0 || criu_set_service_binary(amber) < 0) {
    printf("init failed\n");
    exit(2);
  }
  int fd = open(dir, O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) { perror("open"); exit(2); }
  criu_set_images_dir_fd(fd);
  criu_set_log_level(4);
  criu_set_log_file(log);
  actions[0] = 0;
  criu_set_notify_cb(on_notify);
}

static int parent_of(int pid) {
  char path[64], buf[512];
  snprintf(path, sizeof path, "/proc/%d/stat", pid);
  FILE *f = fopen(path, "r");
  if (!f || !fgets(buf, sizeof buf, f)) return -1;
  fclose(f);
  char *p = strrchr(buf, ')');
  int ppid = -1;
  char state;
  if (p && sscanf(p + 2, "%c %d", &state, &ppid) != 2) return -1;
  return ppid;
}

int main(int argc, char **argv) {
  if (argc != 4) return 2;
  const char *amber = argv[1], *dir = argv[3];
  int pid = atoi(argv[2]);

  setup(amber, dir, "version.log");
  printf("version %d\n", criu_get_version());
  printf("check %d\n", criu_check());

  setup(amber, dir, "dump.log");
  criu_set_pid(pid);
  int r = criu_dump();
  printf("dump %d\n", r);
  printf("dump_actions %s\n", actions);
  printf("dump_notified_pid %d\n", notified_pid);
  fflush(stdout);
  if (r < 0) return 1;

  /* The dumped task was killed: its PID must be free again (the test reaps it). */
  for (int i = 0; i < 500 && kill(pid, 0) == 0; i++) usleep(10000);

  setup(amber, dir, "restore.log");
  int child = criu_restore_child();
  printf("restore_child %d\n", child);
  printf("restore_actions %s\n", actions);
  if (child <= 0) return 1;
  printf("restored_parent_is_me %d\n", parent_of(child) == getpid());
  kill(child, SIGTERM);
  int status = 0;
  printf("waitpid %d\n", waitpid(child, &status, 0) == child);
  printf("term_signal %d\n", WIFSIGNALED(status) ? WTERMSIG(status) : -1);
  return 0;
}
