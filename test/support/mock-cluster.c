/*
 * A librdkafka mock Kafka cluster for recflow's tests (see shared spec kafka.md).
 *
 * Usage: mock-cluster [brokers]
 * Prints "bootstrap <host:port,...>" on stdout, then reads one command a line:
 *   topic <name> <partitions> [replication]  create a topic
 *   down <broker_id|-1>                      disconnect a broker, refuse new connections
 *   up <broker_id|-1>                        accept connections again
 *   rtt <broker_id> <ms>                     add latency to a broker
 *   quit                                     exit (EOF does the same)
 * Each command answers one line: "ok <command>" or "err <command>: <reason>".
 * Build: gcc -O2 -o mock-cluster mock-cluster.c -lrdkafka
 */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void reply(rd_kafka_resp_err_t err, const char *cmd) {
        if (err)
                printf("err %s: %s\n", cmd, rd_kafka_err2str(err));
        else
                printf("ok %s\n", cmd);
        fflush(stdout);
}

int main(int argc, char **argv) {
        int brokers = argc > 1 ? atoi(argv[1]) : 1;
        char errstr[512];
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        /* The handle only anchors the mock cluster; keep it quiet. */
        rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof(errstr));
        rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
        if (!rk) {
                fprintf(stderr, "mock-cluster: rd_kafka_new: %s\n", errstr);
                return 1;
        }
        rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(rk, brokers < 1 ? 1 : brokers);
        if (!mc) {
                fprintf(stderr, "mock-cluster: cannot create mock cluster\n");
                return 1;
        }
        printf("bootstrap %s\n", rd_kafka_mock_cluster_bootstraps(mc));
        fflush(stdout);

        char line[1024];
        while (fgets(line, sizeof(line), stdin)) {
                char cmd[32] = "", name[512] = "";
                int a = 0, b = 0;
                line[strcspn(line, "\r\n")] = 0;
                if (sscanf(line, "%31s", cmd) != 1)
                        continue;
                if (!strcmp(cmd, "quit"))
                        break;
                if (!strcmp(cmd, "topic")) {
                        int n = sscanf(line, "%*s %511s %d %d", name, &a, &b);
                        if (n < 2 || a < 1) {
                                printf("err topic: usage topic <name> <partitions> [replication]\n");
                                fflush(stdout);
                                continue;
                        }
                        if (n < 3 || b < 1)
                                b = 1;
                        if (b > brokers)
                                b = brokers;
                        reply(rd_kafka_mock_topic_create(mc, name, a, b), cmd);
                } else if (!strcmp(cmd, "down") || !strcmp(cmd, "up")) {
                        if (sscanf(line, "%*s %d", &a) != 1)
                                a = -1;
                        /* -1 means every broker; loop so it works whatever the version does. */
                        rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
                        for (int id = a < 0 ? 1 : a; id <= (a < 0 ? brokers : a); id++) {
                                rd_kafka_resp_err_t e = !strcmp(cmd, "down")
                                    ? rd_kafka_mock_broker_set_down(mc, id)
                                    : rd_kafka_mock_broker_set_up(mc, id);
                                if (e)
                                        err = e;
                        }
                        reply(err, cmd);
                } else if (!strcmp(cmd, "rtt")) {
                        if (sscanf(line, "%*s %d %d", &a, &b) != 2) {
                                printf("err rtt: usage rtt <broker_id> <ms>\n");
                                fflush(stdout);
                                continue;
                        }
                        reply(rd_kafka_mock_broker_set_rtt(mc, a, b), cmd);
                } else {
                        printf("err %s: unknown command\n", cmd);
                        fflush(stdout);
                }
        }
        rd_kafka_mock_cluster_destroy(mc);
        rd_kafka_destroy(rk);
        return 0;
}
