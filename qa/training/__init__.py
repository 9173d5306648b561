"""Training the learned answer ranker and the confidence model (`make train`): generated and
hand-written questions, candidate features from the service's own retrieval, leave-one-company-out
evaluation, calibration on held-out companies."""
