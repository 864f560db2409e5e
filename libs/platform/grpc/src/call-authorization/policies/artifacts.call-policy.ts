import { Permission } from '@flotilla/api-interfaces';

import { forUser, gatewayUser, onTheirOwn, ServiceCallPolicies } from '../call-policy';

/**
 * ArtifactService: the feed's users come through the gateway with the feed permissions; the
 * executor downloads the packages of a task it claimed on its own account; the orchestrator
 * checks a new release's packages exist acting for the user creating the release.
 */
export const ARTIFACTS_CALL_POLICIES: ServiceCallPolicies = {
  UploadPackage: { callers: [gatewayUser(Permission.BuiltInFeedPush)], why: 'a user pushes a package' },
  DownloadPackage: {
    callers: [gatewayUser(Permission.FeedView), onTheirOwn('executor')],
    why: 'a user downloads a package; an executor fetches one for a claimed task',
  },
  GetPackage: {
    callers: [gatewayUser(Permission.FeedView), forUser(Permission.ReleaseCreate, 'orchestrator')],
    why: "a user looks a package up; the orchestrator checks a release's packages for its creator",
  },
  ListPackages: { callers: [gatewayUser(Permission.FeedView)], why: 'the feed page' },
  DeletePackage: {
    callers: [gatewayUser(Permission.BuiltInFeedAdminister)],
    why: 'a feed administrator deletes a package',
  },
};
