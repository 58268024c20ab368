# `sam build` runs these targets (template.yaml: BuildMethod: makefile). For each function it
# copies CodeUri to a scratch folder (or, with build_in_source in samconfig.toml, uses this
# folder as it is) and runs there
#     make --makefile <this folder>/Makefile build-<LogicalId>
# with ARTIFACTS_DIR set to the folder it zips. Each target runs the same build as `npm run build`
# for one function, from this folder, so the artefact is byte for byte dist/<function>/ (a test
# holds that). A clone without node_modules gets `npm ci` once, not once per function.

here := $(dir $(abspath $(lastword $(MAKEFILE_LIST))))
sam-build = node "$(here)scripts/sam-build.mjs"

build-PostgresRotationFunction:
	$(sam-build) postgres "$(ARTIFACTS_DIR)"

build-RedisRotationFunction:
	$(sam-build) redis "$(ARTIFACTS_DIR)"

build-ZohoOAuthRotationFunction:
	$(sam-build) zoho-oauth "$(ARTIFACTS_DIR)"

build-WebhookBearerRotationFunction:
	$(sam-build) webhook-bearer "$(ARTIFACTS_DIR)"

build-McpTokenRotationFunction:
	$(sam-build) mcp-token "$(ARTIFACTS_DIR)"

build-EmergencyRotateFunction:
	$(sam-build) emergency-rotate "$(ARTIFACTS_DIR)"

build-RotationMonitorFunction:
	$(sam-build) rotation-monitor "$(ARTIFACTS_DIR)"

.PHONY: build-PostgresRotationFunction build-RedisRotationFunction build-ZohoOAuthRotationFunction \
	build-WebhookBearerRotationFunction build-McpTokenRotationFunction build-EmergencyRotateFunction \
	build-RotationMonitorFunction
