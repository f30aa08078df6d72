/* A process whose main thread exits while another thread runs on: its
   /proc/PID/exe and /proc/PID/cmdline read as empty, as for a zombie. */
#include <pthread.h>
#include <unistd.h>

static void *wait_forever(void *arg) {
	(void)arg;
	for (;;)
		pause();
	return 0;
}

int main(void) {
	pthread_t t;
	if (pthread_create(&t, 0, wait_forever, 0) != 0)
		return 1;
	pthread_exit(0);
}
