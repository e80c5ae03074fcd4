"""The bootstrap project: one stack per AWS account (Pulumi.<env>.yaml), run once by an account
administrator before the main program's first deploy; its outputs are what the workflows
(GitHub environment variables) and the main stack files (`secretsprovider:`) need.
See docs/DEPLOYING.md, "Deploying for real"."""

from accessweaver_components.bootstrap.program import run

run()
