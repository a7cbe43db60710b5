"""The deployed fleet, as the lab's commands run it: `harness.py` opens the Lambda service (with its X-Ray
listener) against the endpoint and reads the schedules that invoke the deployment's probes and jobs;
`rounds.py` fires rounds of it now, reports them and watches a running lab; `deployed_runtimes.py` asks
Terraform which runtimes envs/local deploys; `hostspeed.py` times this host, context for every row."""
