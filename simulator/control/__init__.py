"""Control of a running sandbox: the admin API, the control bus between workers, the admin
client and CLI, the QA dashboard and the scenario watcher."""
